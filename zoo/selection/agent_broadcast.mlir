// Agent Attention (ZOO.md P11), second of its two softmax attentions: the
// tokens read the agents' aggregated values (agent_aggregate.mlir is the
// first).
//
// Paper: "Agent Attention: On the Integration of Softmax and Linear
//   Attention" (Han et al.), ECCV 2024.
// Formula, per (b, h), with N tokens and n << N agent tokens A:
//     V_A = softmax(A K^T / sqrt(d) + B1) V            [n, Dv]
//     O   = softmax(Q A^T / sqrt(d) + B2) V_A          [N, Dv]
//   A = pool(Q), B1, B2 the agent biases.
// This spec: O, the attention of the tokens (Nq = N) over the agents
//   (Nk = n): queries Q, keys A, values V_A (agent_aggregate.mlir's
//   output), bias B2 [1, Hq, N, n]; non-causal, no mask.
// Parameters: n = 49 agents [verify]; shapes come from the inputs.
// Partial: as agent_aggregate.mlir (A = pool(Q), the chaining through
//   V_A, the biases' construction and the DWC(V) term are the caller's).
//   Lowered through the tile program (attn-run --tile-program).
func.func @agent_broadcast(%q: tensor<?x?x?x?xf32>, %a: tensor<?x?x?x?xf32>,
                           %va: tensor<?x?x?x?xf32>,
                           %b2: tensor<1x?x?x?xf32> {attn.name = "agent_bias"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %a, %va bias(%b2 : tensor<1x?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
