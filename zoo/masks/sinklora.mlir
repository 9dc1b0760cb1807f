// SinkLoRA: SF-Attn, shifted-group local attention plus global sink tokens.
// ZOO.md: M04 `sinklora`.
//
// Paper: "SinkLoRA: Enhanced Efficiency and Chat Capabilities for
//   Long-Context Large Language Models", Zhang, 2024.
// Formula: LongLoRA's S2-Attn splits the context into groups of G tokens and
//   shifts the groups of half of the heads by G/2; SinkLoRA's SF-Attn
//   reassembles the shifted groups in place (no wrap-around group mixing the
//   last and first half-groups) and adds global "sink attention tokens":
//     group_h(x) = floor((x + shift_h) / G),  shift_h in {0, G/2}
//     keep(h, i, j) = j <= i and (group_h(i) == group_h(j) or j < n_sink)
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
// Parameters:
//   - G = 2048 (LongLoRA's group size, 1/4 of the 8192 fine-tuning context)
//     [verify: SinkLoRA fine-tunes with LongLoRA's setting].
//   - n_sink = 4 initial tokens as global attention tokens [verify: the
//     paper adds the first tokens as sinks, StreamingLLM's count is 4].
//   - shifted[h] in {0, 1}: which heads use the shifted groups (shift G/2),
//     an integer operand [Hq]: LongLoRA shifts the second half of the heads;
//     the random test draws the flags per head.
//   - scale 1/sqrt(d).
// Choices and [verify] items:
//   - "Reassembly" read as: shifted groups are contiguous ranges
//     [k*G - G/2, (k+1)*G - G/2) in original positions, the first group
//     being the half group [0, G/2) [verify: ZOO.md's formula; the paper's
//     figure shows the reassembled layout].
//   - The H2O-based KV-cache compression at inference (heavy hitters plus a
//     recent window) is a data-dependent eviction policy: wave 3.
//   - Raw indices: written for Nq = Nk (fine-tuning/prefill).
func.func @sinklora(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                    %v: tensor<?x?x?x?xf32>,
                    %shifted: tensor<?xi32> {attn.dims = ["Hq"], attn.range = [0, 1]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%shifted : tensor<?xi32>)
       mask(#attn.causal)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index, %s: tensor<?xi32>):
         %g = arith.constant 2048 : index
         %half = arith.constant 1024 : index
         %nsink = arith.constant 4 : index
         %flag32 = tensor.extract %s[%h] : tensor<?xi32>
         %flag = arith.index_cast %flag32 : i32 to index
         %shift = arith.muli %flag, %half : index
         %is = arith.addi %i, %shift : index
         %js = arith.addi %j, %shift : index
         %gi = arith.divui %is, %g : index
         %gj = arith.divui %js, %g : index
         %same = arith.cmpi eq, %gi, %gj : index
         %sink = arith.cmpi ult, %j, %nsink : index
         %keep = arith.ori %same, %sink : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
