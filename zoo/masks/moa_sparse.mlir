// MoA: Mixture of Sparse Attention, per-head sink + elastic sliding window.
// ZOO.md: M03 `moa_sparse`.
//
// Paper: "MoA: Mixture of Sparse Attention for Automatic Large Language
//   Model Compression", Fu et al., 2024.
// Formula: every head (l, h) uses a causal "sink + sliding window" pattern
//   whose span depends on the input length N through a per-head rule found
//   by an offline profile-and-search:
//     S_{l,h}(N) = alpha_{l,h} + beta_{l,h} * N
//     keep(h, i, j) = j <= i and (j < n_sink or i - j < S_{l,h}(N))
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
// Parameters:
//   - spans[h] = S_{l,h}(N): an integer operand [Hq] that the caller computes
//     from its (alpha, beta) table and the current N: N enters the pattern
//     only through it, so one compiled kernel serves every length and layer.
//   - n_sink = 64 initial tokens [verify: MoA's kernels keep a fixed number
//     of initial "attention sink" tokens per head; 64 is the default of the
//     authors' code as far as ZOO.md's sources go].
//   - scale 1/sqrt(d).
// Choices:
//   - The random test draws spans in [1, Nk] (attn.range) for every head,
//     so per-head configurations are exercised; the KV-cache budget per head
//     (only sink + span entries are cached) is wave 3.
//   - Raw indices: written for Nq = Nk (prefill); the causal attribute is
//     bottom-right aligned.
func.func @moa_sparse(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                      %v: tensor<?x?x?x?xf32>,
                      %spans: tensor<?xi32> {attn.dims = ["Hq"], attn.range = [1, "Nk"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%spans : tensor<?xi32>)
       mask(#attn.causal)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index, %s: tensor<?xi32>):
         %sink = arith.constant 64 : index
         %span32 = tensor.extract %s[%h] : tensor<?xi32>
         %span = arith.index_cast %span32 : i32 to index
         %is_sink = arith.cmpi ult, %j, %sink : index
         // i - j < span, with j <= i from the causal attribute.
         %d = arith.subi %i, %j : index
         %near = arith.cmpi slt, %d, %span : index
         %keep = arith.ori %is_sink, %near : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
