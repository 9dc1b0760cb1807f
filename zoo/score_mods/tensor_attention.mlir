// Tensor (triple-wise) attention over key pairs, Kronecker form.
// ZOO.md: S10 `tensor_attention`.
//
// Paper: "How to Capture Higher-order Correlations? Generalizing Matrix
//   Softmax Attention to Kronecker Computation", Alman and Song, ICLR 2024.
// Formula: Att = D^-1 exp(Q (K1 (x) K2)^T) (V1 (x) V2), (x) the column-wise
//   Kronecker product: a query scores every key pair (j1, j2) by
//     s_i,(j1,j2) = q_i . (k1_j1 * k2_j2)      (* elementwise)
//   and reads the value v1_j1 * v2_j2; D normalizes each row:
//     o_i = sum_(j1,j2) softmax(s_i,(j1,j2)) (v1_j1 * v2_j2)
//   an n x n^2 attention matrix (exact cost cubic).
// Exact formulation: the caller materializes the n^2 pair keys and values,
//   K12[(j1, j2)] = k1_j1 * k2_j2 and V12[(j1, j2)] = v1_j1 * v2_j2
//   (Nk = n1 * n2 rows, row-major in (j1, j2)); the op is then plain softmax
//   attention over Nk = n^2 keys with scale(1.0) (the paper's exp(Q K^T)
//   has no 1/sqrt(d)). Memory O(n^2 d) for the pair tensors, matching the
//   method's exact (cubic-time) evaluation; the paper's near-linear
//   algorithm is an approximation for bounded entries and is not this spec.
// Choices: the op's 2-D iteration space over (j1, j2) is flattened into one
//   key axis; a native 2-D KV space (no materialization) would need a
//   product-key operand kind (noted in docs/zoo.md as a possible extension).
func.func @tensor_attention(%q: tensor<?x?x?x?xf32>, %k12: tensor<?x?x?x?xf32>,
                            %v12: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k12, %v12 scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
