// Gated Slot Attention: a bounded memory of m slots written with
// data-dependent forget gates, read through a softmax over the slots.
// ZOO.md: L08 `gated_slot` (pass 1 of 2: the slot scores).
//
// Paper: "Gated Slot Attention for Efficient Linear-Time Sequence
//   Modeling" (Zhang et al.), 2024.
// Formula (per head, alpha_t in (0, 1)^m the slot gates):
//     K~_t = diag(alpha_t) K~_{t-1} + (1 - alpha_t) k_t^T    [m x D]
//     V~_t = diag(alpha_t) V~_{t-1} + (1 - alpha_t) v_t^T    [m x Dv]
//     o_t  = V~_t^T softmax(K~_t q_t)
//   Two gated linear-attention passes with a softmax over the slots
//   between them:
//     s_t[c] = (K~_t q_t)[c] = sum_{j <= t} (q_t . k_j) (1 - alpha_jc)
//              prod_{r=j+1..t} alpha_rc                (pass 1, per slot c)
//     o_t    = sum_{j <= t} sum_c softmax(s_t)_c (1 - alpha_jc)
//              prod_{r=j+1..t} alpha_rc v_j             (pass 2, GLA over
//              the slots: query softmax(s_t), key 1 - alpha_j, gate alpha)
// Choices:
//   - One attn.attention holds one pass (a spec is one op), so the layer is
//     two specs run in order, this file (`@gsa_slots`) and
//     `gated_slot_readout.mlir` (`@gsa_readout`), with the caller's reshapes
//     between them (exact, caller-side):
//       * pass 1 (`@gsa_slots`) is gated on its output channel c, which the
//         dialect's `decay` (a scalar per key, or a gate per key channel)
//         cannot express directly; it is one head per (head h, slot c):
//         queries [B, H*m, N, D] (q of head h repeated for its m slots),
//         keys [B, H, N, D] (GQA: the m slot heads of h read key head h),
//         values [B, H*m, N, 1] = 1 - alpha[., h, ., c] picked by
//         `v_head_map` (slot head h*m + c reads value head h*m + c, the
//         identity; the runner's --random draws any map), and the scalar
//         decay [B, H*m, N] = alpha[., h, ., c];
//       * its output [B, H*m, N, 1] reshaped to [B, H, N, m] is pass 2's
//         query; the softmax over the slots is pass 2's query feature map
//         (`#attn.feature_map<softmax, keys = identity>`);
//       * pass 2 (`@gsa_readout`) is GLA over the m slot channels: keys
//         1 - alpha [B, H, N, m], the rank-4 decay alpha [B, H, N, m].
//   - Scale 1 in both passes (the formula has none) [verify]; the gates
//     alpha = sigmoid(x W)^(1/tau) and the output projection are the
//     caller's.
//   - Pass 1 costs m times a single-head pass (one head per slot, Dv = 1):
//     a decay on the value channel (Mamba-2 style per-channel, on Dv)
//     would make it one pass with Dv = m; not declared yet.
func.func @gsa_slots(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                     %gate: tensor<?x?x?x?xf32> {attn.name = "one_minus_alpha",
                                                 attn.dims = ["B", "Hq", "Nk", "Dv"]},
                     %map: tensor<?xi32> {attn.name = "slot_heads"},
                     %a: tensor<?x?x?xf32> {attn.name = "alpha"})
    -> tensor<?x?x?x?xf32> {
  %s = attn.attention %q, %k, %gate
       v_head_map(%map : tensor<?xi32>)
       decay(%a : tensor<?x?x?xf32>)
       mask(#attn.causal)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %s : tensor<?x?x?x?xf32>
}
