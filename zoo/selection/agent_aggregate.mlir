// Agent Attention (ZOO.md P11), first of its two softmax attentions: the n
// agent tokens aggregate the values (agent_broadcast.mlir is the second).
//
// Paper: "Agent Attention: On the Integration of Softmax and Linear
//   Attention" (Han et al.), ECCV 2024.
// Formula, per (b, h), with N tokens and n << N agent tokens A:
//     V_A = softmax(A K^T / sqrt(d) + B1) V            [n, Dv]
//     O   = softmax(Q A^T / sqrt(d) + B2) V_A          [N, Dv]
//   (generalized linear attention with phi_q = softmax(Q A^T),
//   phi_k = softmax(A K^T)); A = pool(Q), B1, B2 the agent biases.
// This spec: V_A, the attention of the agents (as queries, Nq = n) over
//   the tokens (Nk = N): queries A, keys K, values V, bias B1
//   [1, Hq, n, N]; non-causal (vision), no mask.
// Parameters: n = 49 agents (7 x 7 pooled from the token grid, the
//   paper's default for its DeiT/PVT/Swin variants [verify]); shapes come
//   from the inputs.
// Partial (not expressed in the dialect; the caller's):
//   - A = pool(Q): adaptive average pooling of the query token grid to
//     n agents. Pooled queries as an operand of the next attention are not
//     declared (#attn.topk_blocks pools only to rank blocks).
//   - The chaining: V_A is this spec's output, passed as the values of
//     agent_broadcast.mlir; the two attentions are exact, each checked
//     against the float64 reference.
//   - The agent biases: B1 and B2 are operands here; the paper builds them
//     from learned position biases (interpolated block and row/column
//     terms), the caller's.
//   - The DWC(V) term (a depthwise convolution of V added to O).
//   - Lowered through the tile program (attn-run --tile-program).
func.func @agent_aggregate(%a: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                           %v: tensor<?x?x?x?xf32>,
                           %b1: tensor<1x?x?x?xf32> {attn.name = "agent_bias"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %a, %k, %v bias(%b1 : tensor<1x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
