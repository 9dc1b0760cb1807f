// Isolation attention (IR-Diffusion): subjects may not attend to each other.
// ZOO.md: M06 `ir_isolation`.
//
// Paper: "Improving Multi-Subject Consistency in Open-Domain Image
//   Generation with Isolation and Reposition Attention", He et al., 2024.
// Formula: every token carries a subject id (0 = background / not a
//   subject); a token of subject a may not attend to a token of another
//   subject b != a:
//     keep(i, j) = not (seg_q(i) != seg_k(j) and seg_q(i) != 0 and seg_k(j) != 0)
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys
//   (bidirectional: a diffusion transformer).
// Parameters:
//   - seg_q [B, Nq], seg_k [B, Nk]: per-token subject ids (integer captures;
//     the random test draws ids in [0, 3]). The reference-image tokens are
//     concatenated to K/V by the caller (Nk = Nq + reference tokens), each
//     labelled with its subject, so a subject attends to its own reference
//     and the background attends to everything.
//   - scale 1/sqrt(d).
// Choices:
//   - Segment equality with a "0 = everyone" exception is not
//     #attn.document (which needs equal ids), hence a mask_fn over captures.
//   - Reposition attention (reference subjects rescaled and moved to the
//     target positions) is a layout step outside the op. Training-free.
func.func @ir_isolation(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>,
                        %segq: tensor<?x?xi32> {attn.dims = ["B", "Nq"], attn.range = [0, 3]},
                        %segk: tensor<?x?xi32> {attn.dims = ["B", "Nk"], attn.range = [0, 3]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%segq, %segk : tensor<?x?xi32>, tensor<?x?xi32>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index,
            %sq: tensor<?x?xi32>, %sk: tensor<?x?xi32>):
         %zero = arith.constant 0 : i32
         %a = tensor.extract %sq[%b, %i] : tensor<?x?xi32>
         %c = tensor.extract %sk[%b, %j] : tensor<?x?xi32>
         %same = arith.cmpi eq, %a, %c : i32
         %qbg = arith.cmpi eq, %a, %zero : i32
         %kbg = arith.cmpi eq, %c, %zero : i32
         %bg = arith.ori %qbg, %kbg : i1
         %keep = arith.ori %same, %bg : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
