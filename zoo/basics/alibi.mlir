// ALiBi: attention with linear biases, causal.
//
// Paper: "Train Short, Test Long: Attention with Linear Biases Enables Input
//   Length Extrapolation", Press, Smith and Lewis, ICLR 2022.
// Formula:
//   softmax(q_i K^T + m_h * [-(i-1), ..., -2, -1, 0]): no position
//   embeddings; each head h adds -m_h * (i - j) to the score of key j <= i.
//   In the dialect: s_ij = scale * q_i . k_j - m_h * |p - j|, which is
//   -m_h * (i - j) under the causal mask (p = i when Nq = Nk).
// Parameters:
//   m_h: the paper's fixed, head-specific geometric sequence, not learned.
//     For n heads it starts at 2^(-8/n) with ratio 2^(-8/n) (8 heads:
//     1/2, 1/4, ..., 1/256); for n not a power of two, the slopes of the
//     closest smaller power of two followed by every other slope of twice
//     that (the authors' implementation). #attn.alibi without an
//     alibi_slopes operand computes exactly these from Hq.
//   scale = 1/sqrt(d), the dialect's default: the paper's equation leaves
//     the scaling out for brevity, its implementation scales q . k and adds
//     the (unscaled) bias [verify].
// Choices:
//   - Causal language modeling, as in the paper (#attn.causal).
//   - Learned or custom slopes would be passed as
//     alibi_slopes(%m : tensor<Hq x f32>); not used here.
//   - Shapes dynamic (the slopes depend on Hq, known at compile time of the
//     instantiated spec); f32.
func.func @alibi(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) score_mods([#attn.alibi])
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
