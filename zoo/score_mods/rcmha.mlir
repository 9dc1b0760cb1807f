// RCMHA: relative (Transformer-XL) positional attention after depthwise
// convolutions of the inputs. ZOO.md: S03 `rcmha`.
//
// Paper: "RCMHA: Relative Convolutional Multi-Head Attention for Natural
//   Language Modelling", Sugiharto et al., 2023.
// Formula (Transformer-XL relative attention [verify: RCMHA builds on
//   Transformer-XL's relative positional encoding]):
//     s_ij = (q_i . k_j + q_i . r_{i-j} + u . k_j + w . r_{i-j}) / sqrt(d)
//          = ((q_i + u) . k_j + (q_i + w) . r_{i-j}) / sqrt(d)
//   o_i = sum_j softmax_j(s_ij) v_j, causal (language modelling).
// Parameters:
//   - q' = q + u (the content bias u, per head) is folded into the query by
//     the caller; the op's dot gives (q_i + u) . k_j.
//   - bd[b, h, i, t] = (q_i + w) . r_t / sqrt(d) for relative distances
//     t in [0, Nk): Transformer-XL's "BD" term, computed by the caller as one
//     GEMM of (q + w) against the sinusoidal relative embeddings R (exactly
//     what Transformer-XL materializes before its rel-shift); the spec
//     gathers bd[b, h, i, p - j] (the rel-shift) in its score_mod, with
//     p = i + Nk - Nq the aligned query position (Nq and Nk are read off
//     bd's extents with tensor.dim), so decode steps and a memory work.
//   - The depthwise convolutions of RCMHA on the Q/K/V inputs are a
//     prologue (before the projections); the conv kernel size is a
//     hyper-parameter of the layer, not of the attention.
//   - scale 1/sqrt(d) (dialect default) on the content term; bd carries its
//     own 1/sqrt(d).
// Choices: with a Transformer-XL memory of M cached keys (Nk = Nq + M) the
//   distance is i + M - j, which is what the aligned position gives.
func.func @rcmha(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>,
                 %bd: tensor<?x?x?x?xf32> {attn.dims = ["B", "Hq", "Nq", "Nk"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%bd : tensor<?x?x?x?xf32>)
       mask(#attn.causal)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %t: tensor<?x?x?x?xf32>):
         %c2 = arith.constant 2 : index
         %c3 = arith.constant 3 : index
         %nq = tensor.dim %t, %c2 : tensor<?x?x?x?xf32>
         %nk = tensor.dim %t, %c3 : tensor<?x?x?x?xf32>
         %off = arith.subi %nk, %nq : index
         %p = arith.addi %i, %off : index
         %dist = arith.subi %p, %j : index
         %pos = tensor.extract %t[%b, %h, %i, %dist] : tensor<?x?x?x?xf32>
         %r = arith.addf %s, %pos : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
